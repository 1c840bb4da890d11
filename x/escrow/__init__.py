"""escrow: one account per deployment holding its deposits, paid to leases, refunded on close."""
