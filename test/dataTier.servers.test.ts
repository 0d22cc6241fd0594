/**
 * The generated PgBouncer and Redis configuration, run by the real servers
 * (Debian's postgresql, pgbouncer and redis-server, installed by .ci/run) on
 * 127.0.0.1. Only the addresses and paths differ from the containers'; the
 * render functions are the ones the program uses.
 */
import { expect } from "chai";
import { ChildProcess, execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { renderPgbouncerIni, renderUserlist } from "../components/services/pgbouncer";
import { renderPreMigrateBackupScript } from "../components/services/migrations";
import { renderRedisAuthConf, renderRedisConf } from "../components/services/redis";
import { freePort, startServer, stopServer, waitForPort } from "./localServers";

const IS_ROOT = process.getuid?.() === 0;

/** PostgreSQL and PgBouncer refuse to run as root; CI runs as root, so they run as `postgres`. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
    return IS_ROOT ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

function postgresBin(name: string): string {
    const base = "/usr/lib/postgresql";
    const version = fs.readdirSync(base).sort().pop();
    if (!version) throw new Error(`no PostgreSQL under ${base}; .ci/run installs Debian's postgresql`);
    return path.join(base, version, "bin", name);
}

function scratchDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(dir, 0o777);
    if (IS_ROOT) execFileSync("chown", ["postgres", dir]);
    return dir;
}

describe("data tier configuration run by the real servers", function () {
    this.timeout(60000);

    describe("PostgreSQL, with PgBouncer in front", () => {
        const password = `pw-${Date.now()}-"quoted"`;
        let dir: string;
        let pgPort: number;
        let bouncerPort: number;
        let bouncer: ChildProcess | undefined;

        const psql = (port: number, pw: string, sql: string) =>
            spawnSync(postgresBin("psql"), ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", DATABASE.user, "-d", DATABASE.name, "-c", sql], {
                encoding: "utf8",
                env: { ...process.env, PGPASSWORD: pw, PGCONNECT_TIMEOUT: "5" },
            });

        before(async () => {
            dir = scratchDir("freshtrack-pg-");
            pgPort = await freePort();
            bouncerPort = await freePort();
            fs.writeFileSync(path.join(dir, "pw"), password);
            const run = (cmd: string, args: string[]) => {
                const [c, a] = asPostgres(cmd, args);
                execFileSync(c, a, { stdio: "pipe" });
            };
            run(postgresBin("initdb"), ["-D", path.join(dir, "data"), "-U", DATABASE.user, "--auth=scram-sha-256", `--pwfile=${path.join(dir, "pw")}`]);
            run(postgresBin("pg_ctl"), ["-D", path.join(dir, "data"), "-l", path.join(dir, "pg.log"), "-w", "-o", `-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1`, "start"]);
            const created = spawnSync(postgresBin("createdb"), ["-h", "127.0.0.1", "-p", String(pgPort), "-U", DATABASE.user, DATABASE.name], { env: { ...process.env, PGPASSWORD: password }, encoding: "utf8" });
            expect(created.status, created.stderr).to.equal(0);

            const ini = path.join(dir, "pgbouncer.ini");
            const userlist = path.join(dir, "userlist.txt");
            fs.writeFileSync(ini, renderPgbouncerIni({ postgresHost: "127.0.0.1", postgresPort: pgPort, listenAddr: "127.0.0.1", listenPort: bouncerPort, authFile: userlist }) + `unix_socket_dir = ${dir}\n`);
            fs.writeFileSync(userlist, renderUserlist(password));
            fs.chmodSync(userlist, 0o444);
            const [c, a] = asPostgres("/usr/sbin/pgbouncer", [ini]);
            bouncer = startServer(c, a);
            await waitForPort(bouncerPort);
        });

        after(async () => {
            await stopServer(bouncer);
            const [c, a] = asPostgres(postgresBin("pg_ctl"), ["-D", path.join(dir, "data"), "-m", "fast", "stop"]);
            spawnSync(c, a);
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("lets the application role query through PgBouncer with SCRAM, using the generated user list", () => {
            const result = psql(bouncerPort, password, "select current_user || ':' || current_database()");
            expect(result.status, result.stderr).to.equal(0);
            expect(result.stdout.trim()).to.equal(`${DATABASE.user}:${DATABASE.name}`);
        });

        describe("pre-migration backup script", () => {
            const script = renderPreMigrateBackupScript();
            const runBackup = (backupDir: string, pw: string) => {
                const pwFile = path.join(backupDir, "..", `pw-${Date.now()}`);
                fs.writeFileSync(pwFile, pw);
                return spawnSync("sh", ["-c", script], {
                    encoding: "utf8",
                    env: {
                        PATH: `${path.dirname(postgresBin("pg_dump"))}:${process.env.PATH}`,
                        BACKUP_DIR: backupDir,
                        APP_VERSION: "1.5.0",
                        RETENTION_DAYS: "7",
                        DATABASE_HOST: "127.0.0.1",
                        DATABASE_PORT: String(pgPort),
                        DATABASE_NAME: DATABASE.name,
                        DATABASE_USER: DATABASE.user,
                        DATABASE_SSLMODE: "disable",
                        DATABASE_PASSWORD_FILE: pwFile,
                    },
                });
            };

            it("passes shellcheck as POSIX sh", () => {
                const file = path.join(dir, "backup.sh");
                fs.writeFileSync(file, script);
                const result = spawnSync("shellcheck", ["--shell=sh", file], { encoding: "utf8" });
                expect(result.status, result.stdout).to.equal(0);
            });

            it("writes a dump that restores every row, and prunes dumps older than the retention", () => {
                expect(psql(pgPort, password, "create table readings (id serial primary key, sensor text, celsius numeric); insert into readings (sensor, celsius) select 'fridge-' || g, 4.5 from generate_series(1, 250) g").status).to.equal(0);
                const backups = path.join(dir, "backups");
                fs.mkdirSync(backups);
                const stale = path.join(backups, "freshtrack-before-1.3.0-20200101T000000Z.dump");
                const recent = path.join(backups, "freshtrack-before-1.4.0-20990101T000000Z.dump");
                fs.writeFileSync(stale, "old");
                fs.writeFileSync(recent, "recent");
                const tenDaysAgo = new Date(Date.now() - 10 * 24 * 3600 * 1000);
                fs.utimesSync(stale, tenDaysAgo, tenDaysAgo);

                const result = runBackup(backups, password);
                expect(result.status, result.stderr).to.equal(0);
                expect(result.stdout).to.match(/pre-migration backup: .*freshtrack-before-1\.5\.0-\d{8}T\d{6}Z\.dump \(\d+ bytes\)/);
                const dumps = fs.readdirSync(backups).filter((f) => f.startsWith("freshtrack-before-1.5.0-"));
                expect(dumps).to.have.length(1);
                expect(fs.existsSync(stale), "older than the retention").to.equal(false);
                expect(fs.existsSync(recent), "within the retention").to.equal(true);

                const created = spawnSync(postgresBin("createdb"), ["-h", "127.0.0.1", "-p", String(pgPort), "-U", DATABASE.user, "restored"], { env: { ...process.env, PGPASSWORD: password } });
                expect(created.status).to.equal(0);
                const restore = spawnSync(postgresBin("pg_restore"), ["-h", "127.0.0.1", "-p", String(pgPort), "-U", DATABASE.user, "-d", "restored", path.join(backups, dumps[0]!)], { encoding: "utf8", env: { ...process.env, PGPASSWORD: password } });
                expect(restore.status, restore.stderr).to.equal(0);
                const count = spawnSync(postgresBin("psql"), ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(pgPort), "-U", DATABASE.user, "-d", "restored", "-c", "select count(*) from readings"], { encoding: "utf8", env: { ...process.env, PGPASSWORD: password } });
                expect(count.stdout.trim()).to.equal("250");
            });

            it("fails, and leaves no file that looks like a backup, when the database refuses it", () => {
                const backups = path.join(dir, "backups-refused");
                fs.mkdirSync(backups);
                const result = runBackup(backups, "wrong password");
                expect(result.status).to.not.equal(0);
                expect(fs.readdirSync(backups)).to.deep.equal([]);
            });
        });

        it("refuses a wrong password", () => {
            const result = psql(bouncerPort, "not-the-password", "select 1");
            expect(result.status).to.not.equal(0);
            expect(result.stderr).to.match(/password authentication failed|SASL authentication failed/);
        });

        it("pools in transaction mode, as PgBouncer itself reports", () => {
            // The stats user (there for the PgBouncer exporter) may read SHOW CONFIG on the admin console.
            const result = spawnSync(postgresBin("psql"), ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(bouncerPort), "-U", DATABASE.user, "-d", "pgbouncer", "-c", "SHOW CONFIG"], {
                encoding: "utf8",
                env: { ...process.env, PGPASSWORD: password },
            });
            expect(result.status, result.stderr).to.equal(0);
            expect(result.stdout).to.match(/^pool_mode\|transaction\|/m);
            expect(result.stdout).to.match(/^max_client_conn\|500\|/m);
        });
    });

    describe("Redis with the generated redis.conf", () => {
        const password = `redis-${Date.now()}`;
        let dir: string;
        let port: number;
        let server: ChildProcess | undefined;
        const cli = (args: string[], auth?: string) =>
            spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8", env: { ...process.env, ...(auth ? { REDISCLI_AUTH: auth } : {}) } });

        before(async () => {
            dir = scratchDir("freshtrack-redis-");
            port = await freePort();
            const auth = path.join(dir, "auth.conf");
            fs.writeFileSync(auth, renderRedisAuthConf(password));
            fs.mkdirSync(path.join(dir, "data"));
            fs.writeFileSync(path.join(dir, "redis.conf"), renderRedisConf(256, { authConf: auth, dataDir: path.join(dir, "data") }));
            server = startServer("redis-server", [path.join(dir, "redis.conf"), "--port", String(port), "--bind", "127.0.0.1", "--daemonize", "no"]);
            await waitForPort(port);
        });

        after(async () => {
            await stopServer(server);
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("refuses clients without the password and answers the health probe with it", () => {
            expect(cli(["ping"]).stdout).to.match(/NOAUTH/);
            expect(cli(["ping"], password).stdout.trim()).to.equal("PONG");
        });

        it("never evicts (BullMQ's requirement), persists every second to the AOF and stays under 80 % of the limit", () => {
            expect(cli(["config", "get", "maxmemory-policy"], password).stdout).to.contain("noeviction");
            expect(cli(["config", "get", "appendonly"], password).stdout).to.match(/appendonly\s+yes/);
            expect(cli(["config", "get", "appendfsync"], password).stdout).to.contain("everysec");
            expect(cli(["config", "get", "maxmemory"], password).stdout).to.contain(String(Math.floor(256 * 0.8) * 1024 * 1024));
        });
    });
});
