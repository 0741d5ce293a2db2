package dev.mcpguard.core.testing;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/** Access tokens for tests, signed as an issuer would. */
public final class SignedTokens {

    private SignedTokens() {
    }

    /** {@code claims} as an RS256 JWT of type {@code JWT}, signed by {@code signer}, its header naming {@code keyId}. */
    public static String rs256(RSAKey signer, String keyId, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId)
                    .type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner(signer));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
