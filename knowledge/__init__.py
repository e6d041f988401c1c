"""The community public-service catalog and retrieval over it."""

from knowledge.loader import Catalog, load_catalog, load_communities
from knowledge.schema import CommunitySettings, Service

__all__ = ["Catalog", "CommunitySettings", "Service", "load_catalog", "load_communities"]
