// The encrypted servers the formats tests start on loopback: an HTTPS server
// with a certificate from a throwaway CA, and an sshd that admits one key.
// Keys and certificates are made fresh in the test's directory each run.
#pragma once

#include "servers.hpp"

#include <boost/filesystem/path.hpp>
#include <optional>
#include <string>

namespace guestuml::formats::test {

struct TestTls {
    boost::filesystem::path ca_cert;        // the throwaway CA, PEM
    boost::filesystem::path server_cert;    // for IP 127.0.0.1, signed by the CA
    boost::filesystem::path server_key;
};

// Makes a CA and a server certificate for 127.0.0.1 in dir with openssl.
TestTls make_test_tls(const boost::filesystem::path& dir);

// Makes an ed25519 key pair without passphrase: dir/id_ed25519 and .pub.
void make_ssh_key(const boost::filesystem::path& dir);

// /usr/sbin/sshd on 127.0.0.1, with its own host key, letting in the holder of
// authorized_key's private half by public key only. Killed with its owner.
class SshServer {
public:
    SshServer(const boost::filesystem::path& dir, const boost::filesystem::path& authorized_key);
    unsigned port() const { return port_; }
    pid_t pid() const { return sshd_->pid(); }
    // The line a known_hosts file needs to trust this server.
    const std::string& known_hosts_line() const { return known_hosts_line_; }

private:
    unsigned port_ = 0;
    std::string known_hosts_line_;
    std::optional<Server> sshd_;
};

} // namespace guestuml::formats::test
