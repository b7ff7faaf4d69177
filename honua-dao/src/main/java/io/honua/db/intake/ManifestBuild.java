package io.honua.db.intake;

import io.honua.db.queue.Build;

/** Result of {@link Manifests#enqueueBuild}: the published manifest version and the queued build of it. */
public record ManifestBuild(Manifest manifest, Build build) {
}
