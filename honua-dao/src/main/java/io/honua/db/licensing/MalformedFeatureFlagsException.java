package io.honua.db.licensing;

import io.honua.db.core.InvalidRequestException;

/**
 * Feature flags that are not a JSON object of booleans: refused on write (nothing changed), or found on read in a row
 * written around the DAO (the typed read refuses to guess).
 */
public class MalformedFeatureFlagsException extends InvalidRequestException {

    private static final long serialVersionUID = 1L;

    public MalformedFeatureFlagsException(String message) {
        super(message);
    }

    public MalformedFeatureFlagsException(String message, Throwable cause) {
        super(message, cause);
    }
}
