"""The benchmark: server time, the cost of confidentiality and PDF overhead (``make bench``)."""
