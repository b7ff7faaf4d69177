package io.honua.db.credentials;

/** A credential with its decrypted secret, from an explicit {@link RegistryCredentials#reveal}. Never logged. */
public record RevealedCredential(Credential credential, String secret) {

    @Override
    public String toString() {
        return "RevealedCredential[credential=" + credential + ", secret=<redacted>]";
    }
}
