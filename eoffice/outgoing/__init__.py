"""Outgoing documents (văn bản đi): drafting, approval, signing, issuing with numbering, delivery, registers."""
