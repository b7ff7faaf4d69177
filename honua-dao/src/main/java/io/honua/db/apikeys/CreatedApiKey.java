package io.honua.db.apikeys;

/** A new API key and its secret value, shown this once. {@link #toString()} does not print the key. */
public record CreatedApiKey(ApiKey apiKey, String key) {

    @Override
    public String toString() {
        return "CreatedApiKey[apiKey=" + apiKey + ", key=<redacted>]";
    }
}
