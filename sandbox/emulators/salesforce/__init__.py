"""Salesforce emulator: REST (query/queryAll, describe, limits, getDeleted) and Bulk API 2.0, over HTTPS."""
