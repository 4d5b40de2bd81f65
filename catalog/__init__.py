"""The brand owner's catalogue: the category tree and the products (partner assortments arrive with the showroom work)."""
