package io.honua.db.licensing;

/**
 * A freshly issued license and its key. The key is shown this once: the database keeps only its SHA-256 hash and an
 * envelope-encrypted copy. {@link #toString()} does not print the key.
 */
public record IssuedLicense(License license, String key) {

    @Override
    public String toString() {
        return "IssuedLicense[license=" + license + ", key=<redacted>]";
    }
}
