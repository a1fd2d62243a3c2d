"""The admin site: each feature registers its own screens in its admin module."""

import reviews.audit.admin
import reviews.cycles.admin
import reviews.drafts.admin
import reviews.orgs.admin
import reviews.rectification.admin  # noqa: F401
