package io.honua.db.intake;

import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.core.NotFoundException;
import io.honua.db.internal.SqlErrors;
import java.util.Optional;
import java.util.function.Supplier;
import org.jooq.exception.DataAccessException;

/** Maps database errors of the intake tables (SQLSTATE class HI, see V9__intake.sql) to typed exceptions. */
final class IntakeErrors {

    private IntakeErrors() {
    }

    static <T> T call(Supplier<T> action) {
        try {
            return action.get();
        } catch (DataAccessException e) {
            throw translate(e);
        }
    }

    static RuntimeException translate(DataAccessException e) {
        Optional<HonuaException> own = SqlErrors.thrownByHonua(e);
        if (own.isPresent()) {
            return own.get();
        }
        String state = e.sqlState() == null ? "" : e.sqlState();
        String constraint = SqlErrors.constraint(e).orElse("");
        String message = SqlErrors.serverMessage(e);
        return switch (state) {
            case "HI001", "HI003" -> new ConversationClosedException(message, e);
            case "HI002" -> new UnknownConversationException(message, e);
            case "HI004" -> new ManifestPublishedException(message, e);
            case "HI005" -> new ManifestNotValidException(message, e);
            case "HI006", "HI008", "HI009" -> new ConflictException(message, e);
            case "HI007" -> new UnknownManifestException(message, e);
            case SqlErrors.FOREIGN_KEY_VIOLATION -> {
                if (constraint.contains("conversation")) {
                    yield new UnknownConversationException("unknown conversation: " + message, e);
                }
                if (constraint.contains("manifest")) {
                    yield new UnknownManifestException("unknown manifest: " + message, e);
                }
                yield new NotFoundException(message, e);
            }
            default -> SqlErrors.translate(e, "intake");
        };
    }
}
