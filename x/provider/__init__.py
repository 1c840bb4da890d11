"""x/provider: GPU providers, their gateway, attributes and collateral."""
