#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for the tests, from Debian's binaries.

PostgreSQL refuses to run as root, so when we are root the cluster's files
belong to an unprivileged user (`postgres` when the package made it, else
`nobody`) and initdb / pg_ctl run as that user through runuser. The server
listens on a Unix socket in the cluster's directory and on a free loopback
port, with password authentication (scram-sha-256) on TCP and trust on the
socket, so that a test can try a wrong password.

As a module:
    c = Cluster(directory); c.start()      # initdb the first time
    url = c.create_database("t1")          # postgres://pf:PASSWORD@127.0.0.1:PORT/t1
    c.restart(); c.stop()
From the shell (the C tests use this):
    cluster.py start DIR        prints the URL of the database "postgres"
    cluster.py createdb DIR NAME   prints the URL of a new database NAME
    cluster.py restart DIR | stop DIR
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time

USER = "pf"                  # the role the tests connect as
PASSWORD = "pf-test-password-1"
BINDIR_ROOT = "/usr/lib/postgresql"


def bindir():
    if not os.path.isdir(BINDIR_ROOT):
        raise RuntimeError("PostgreSQL is not installed (no %s): apt-get install postgresql"
                           % BINDIR_ROOT)
    versions = sorted((v for v in os.listdir(BINDIR_ROOT) if v.isdigit()), key=int)
    for v in reversed(versions):
        d = os.path.join(BINDIR_ROOT, v, "bin")
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    raise RuntimeError("no initdb under %s" % BINDIR_ROOT)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_as():
    """the unprivileged user to run the server as, or None when we are not root"""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL")


class Cluster:
    def __init__(self, directory, durable=False):
        """durable: PostgreSQL's own fsync and commit settings (benchmarks);
        else the tests' faster ones (fsync off: a crash of the machine may
        lose the throwaway cluster, never a test's meaning)"""
        self.durable = durable
        self.dir = os.path.abspath(directory)
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir             # the socket lives beside the data
        self.port_file = os.path.join(self.dir, "port")
        self.log = os.path.join(self.dir, "server.log")
        self.user = run_as()
        self.bin = bindir()
        self.port = None
        if os.path.exists(self.port_file):
            with open(self.port_file) as f:
                self.port = int(f.read())

    def _run(self, argv, check=True):
        if self.user:
            argv = ["runuser", "-u", self.user.pw_name, "--"] + argv
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s" % (" ".join(argv), p.returncode, p.stdout))
        return p

    def _chown(self, path):
        if self.user:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def init(self):
        os.makedirs(self.dir, exist_ok=True)
        # the unprivileged user must reach the directory (tmp dirs are 0700)
        parent = self.dir
        while self.user and parent not in ("/", ""):
            st = os.stat(parent)
            if not st.st_mode & 0o001:
                os.chmod(parent, st.st_mode | 0o711)
            parent = os.path.dirname(parent)
        self._chown(self.dir)
        pwfile = os.path.join(self.dir, "pwfile")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        self._chown(pwfile)
        self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", USER,
                   "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
                   "-E", "UTF8", "--no-locale", "--no-sync"])
        os.unlink(pwfile)
        self.port = free_port()
        with open(self.port_file, "w") as f:
            f.write(str(self.port))
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# the tests' own settings\n"
                    "listen_addresses = '127.0.0.1'\n"
                    "port = %d\n"
                    "unix_socket_directories = '%s'\n"
                    "max_connections = 200\n"
                    "shared_buffers = 32MB\n" % (self.port, self.sock))
            if not self.durable:
                f.write("fsync = off\n"
                        "synchronous_commit = off\n"
                        "full_page_writes = off\n")

    def start(self):
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self.init()
        self._chown(self.dir)
        if not os.path.exists(self.log):
            open(self.log, "a").close()
            self._chown(self.log)
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-w",
                   "-t", "60", "start"])
        return self.url()

    def stop(self, mode="fast"):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", mode, "-w",
                       "-t", "60", "stop"], check=False)

    def restart(self, mode="fast"):
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log,
                   "-m", mode, "-w", "-t", "60", "restart"])

    def url(self, database="postgres", password=PASSWORD):
        auth = USER if password is None else "%s:%s" % (USER, password)
        return "postgres://%s@127.0.0.1:%d/%s" % (auth, self.port, database)

    def psql(self, sql, database="postgres"):
        """run `sql` over the socket; its output (tuples only, unaligned)"""
        p = subprocess.run([os.path.join(self.bin, "psql"), "-h", self.sock, "-p", str(self.port),
                            "-U", USER, "-d", database, "-v", "ON_ERROR_STOP=1", "-Atq",
                            "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60, env=dict(os.environ, PGPASSWORD=""))
        if p.returncode != 0:
            raise RuntimeError("psql %r failed: %s" % (sql, p.stderr))
        return p.stdout

    def create_database(self, name):
        self.psql('CREATE DATABASE "%s"' % name)
        return self.url(name)

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("start", "stop", "restart", "createdb", "destroy"):
        sys.stderr.write("usage: cluster.py start|stop|restart|destroy DIR | createdb DIR NAME\n")
        return 2
    c = Cluster(argv[2])
    try:
        if argv[1] == "start":
            print(c.start())
        elif argv[1] == "stop":
            c.stop()
        elif argv[1] == "restart":
            c.restart()
        elif argv[1] == "destroy":
            c.destroy()
        else:
            if len(argv) < 4:
                sys.stderr.write("cluster.py createdb DIR NAME\n")
                return 2
            print(c.create_database(argv[3]))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        sys.stderr.write("cluster.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
