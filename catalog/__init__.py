"""The brand owner's catalogue: categories (and, with the showroom issue, products and partner assortments)."""
