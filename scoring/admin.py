"""The admin site: each feature registers its own screens in its admin module."""

import scoring.codes.admin
import scoring.results.admin
import scoring.schemes.admin  # noqa: F401
