"""The offline, self-contained HTML report that answers the whole sheet."""
