package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test certificates made with the JDK's keytool: a self-signed RSA key pair in a PKCS12 store and its PEM. */
final class TestCertificates {
    private TestCertificates() {
    }

    /**
     * A new key pair {@code alias} valid for 2 days with subject {@code dname} (and {@code san}, when not null) in
     * the PKCS12 store {@code keyStore}, its certificate exported as PEM to {@code pem}; both files replaced.
     */
    static void selfSigned(String alias, String dname, String san, Path keyStore, Path pem, String password)
            throws Exception {
        Files.deleteIfExists(keyStore);
        Files.deleteIfExists(pem);
        List<String> gen = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "RSA", "-keysize", "2048",
                "-validity", "2", "-dname", dname));
        if (san != null) gen.addAll(List.of("-ext", san));
        gen.addAll(List.of("-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", password,
                "-keypass", password));
        keytool(gen.toArray(String[]::new));
        keytool("-exportcert", "-rfc", "-alias", alias, "-keystore", keyStore.toString(), "-storepass", password,
                "-file", pem.toString());
    }

    /** A self-signed certificate for localhost (SAN dns:localhost, ip:127.0.0.1). */
    static void localhost(String alias, Path keyStore, Path pem, String password) throws Exception {
        selfSigned(alias, "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1", keyStore, pem, password);
    }

    static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
    }
}
