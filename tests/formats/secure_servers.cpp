#include "secure_servers.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "test_images.hpp"

#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sys/stat.h>

namespace fs = boost::filesystem;

namespace guestuml::formats::test {
namespace {

std::string read_text(const fs::path& file)
{
    std::ifstream in(file.string());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw Error(fmt::format("cannot read {}", file.string()));
    return text;
}

} // namespace

TestTls make_test_tls(const fs::path& dir)
{
    fs::create_directories(dir);
    TestTls tls{dir / "ca.crt", dir / "server.crt", dir / "server.key"};
    const auto p = [&](const char* name) { return (dir / name).string(); };
    run_command_checked({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                         "/CN=guestuml test CA", "-keyout", p("ca.key"), "-out", tls.ca_cert.string()});
    run_command_checked({"openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                         "-keyout", tls.server_key.string(), "-out", p("server.csr")});
    // GnuTLS matches an IP address against subjectAltName only, never the CN.
    guestuml::test::write_file(dir / "server.ext", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    run_command_checked({"openssl", "x509", "-req", "-in", p("server.csr"), "-CA", tls.ca_cert.string(), "-CAkey",
                         p("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", p("server.ext"), "-out",
                         tls.server_cert.string()});
    return tls;
}

void make_ssh_key(const fs::path& dir)
{
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all);
    run_command_checked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "guestuml-test", "-f",
                         (dir / "id_ed25519").string()});
}

SshServer::SshServer(const fs::path& dir, const fs::path& authorized_key)
{
    fs::create_directories(dir);
    const fs::path host_key = dir / "host_ed25519";
    run_command_checked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "guestuml-test-host", "-f",
                         host_key.string()});
    const std::string host_public = read_text(host_key.string() + ".pub");
    port_ = free_port();
    known_hosts_line_ = fmt::format("[127.0.0.1]:{} {}", port_, host_public.substr(0, host_public.rfind(' ')));
    if (known_hosts_line_.back() != '\n')
        known_hosts_line_ += '\n';
    // sftp is what qemu's ssh driver speaks; PAM and strict modes would only
    // get in the way of a throwaway server run from a temporary directory.
    guestuml::test::write_file(dir / "sshd_config",
               fmt::format("Port {}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\n"
                           "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
                           "PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
                           "Subsystem sftp internal-sftp\n",
                           port_, host_key.string(), authorized_key.string(), (dir / "sshd.pid").string()));
    // sshd refuses to start without its privilege-separation directory, which
    // Debian makes only when the ssh service starts.
    ::mkdir("/run/sshd", 0755);
    sshd_.emplace(std::vector<std::string>{"/usr/sbin/sshd", "-D", "-e", "-f", (dir / "sshd_config").string()},
                  port_);
}

} // namespace guestuml::formats::test
