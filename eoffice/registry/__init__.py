"""Registry books, the yearly numbering of outgoing and arrival numbers, document types and symbols."""
