"""Instagram, published through a Make.com / Zapier scenario (the webhook route)."""
