"""deployment: what tenants ask for (groups of resources from SDL), funded through escrow."""
