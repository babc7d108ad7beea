"""ses2mt: move Amazon SES email templates to Mailtrap, exactly."""

__version__ = "0.1.0"
