"""Stand-ins for the networks the product publishes to natively (one module per platform)."""
