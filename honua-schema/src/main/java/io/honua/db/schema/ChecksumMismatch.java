package io.honua.db.schema;

/** An applied migration whose recorded checksum differs from the script shipped now. */
public record ChecksumMismatch(String version, String description, String appliedChecksum, String resolvedChecksum) {
}
