"""x/audit: attributes auditors vouch for on providers."""
