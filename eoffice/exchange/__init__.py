"""Exchange between agencies: edXML packages (QCVN 102:2016), their validation, and the `exchange` commands."""
