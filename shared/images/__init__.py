"""The images context (the uploads service's job): validate, store and describe uploaded images."""
