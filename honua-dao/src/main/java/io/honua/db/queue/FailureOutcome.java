package io.honua.db.queue;

/**
 * Result of {@link BuildQueue#fail}: either the build was requeued with a backoff ({@code willRetry}, claimable again
 * from {@code build.notBefore()}), or it has used all its attempts and is {@link BuildStatus#FAILED}.
 */
public record FailureOutcome(Build build, boolean willRetry) {
}
