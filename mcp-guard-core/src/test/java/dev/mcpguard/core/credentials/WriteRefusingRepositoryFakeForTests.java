package dev.mcpguard.core.credentials;

import java.util.List;
import java.util.Optional;

/** A real repository whose writes start failing on demand, as a full disk or a lost database would. */
final class WriteRefusingRepositoryFakeForTests implements CredentialRepository {
    private final CredentialRepository delegate;
    private volatile boolean refuse;

    WriteRefusingRepositoryFakeForTests(CredentialRepository delegate) {
        this.delegate = delegate;
    }

    void refuseWrites() {
        refuse = true;
    }

    @Override
    public Optional<CredentialRecord> find(CredentialKey key) {
        return delegate.find(key);
    }

    @Override
    public List<CredentialRecord> findAll() {
        return delegate.findAll();
    }

    @Override
    public boolean compareAndSet(CredentialRecord record) {
        if (refuse) {
            throw new CredentialStoreException("simulated: the backend refuses writes");
        }
        return delegate.compareAndSet(record);
    }

    @Override
    public boolean delete(CredentialKey key) {
        return delegate.delete(key);
    }
}
