/**
 * Issue 16, item 4 (a leftover of the attack pass): a health check could pass the catalog test yet always succeed
 * (`redis-cli ping` exits 0 on NOAUTH once its `| grep -q PONG` is gone). Rung 4 of the ladder (real servers on
 * 127.0.0.1): the checks of PostgreSQL, PgBouncer and Redis, exactly as the program registers them on each shipped
 * stack and variant, run the way Docker runs them against Debian's real servers (installed by .ci/run). How a check is
 * run and what is substituted: test/catalogHealthFixtures.ts. The HTTP checks: test/catalogHealthHttp.servers.test.ts.
 * Redis itself is started from the container's registered command line and uploaded files, its registered port first
 * held to the spec's (the second attack pass gave it `--port 6380`; test/catalogPorts.stack.test.ts reads every
 * server's port setting at rung 1).
 */
import { expect } from "chai";
import { ChildProcess, execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SERVICE_SPECS, SERVICES } from "../components/catalog";
import { contractFor } from "../components/imageContracts";
import { PUBLIC_IMAGES } from "../components/images";
import { DATABASE, DATABASE_ROLES, SECRETS_DIR } from "../components/services/context";
import { renderPgbouncerIni, renderUserlist } from "../components/services/pgbouncer";
import {
    distinctChecks,
    HTTP_SPECS,
    makeSandbox,
    NOT_RUN_HERE,
    REAL_HERE,
    RegisteredCheck,
    registeredChecks,
    removeSandbox,
    runCheck,
    Sandbox,
    serverDir,
} from "./catalogHealthFixtures";
import { asPostgres, freePort, postgresBin, startServer, stopServer, waitForPort } from "./localServers";

describe("the database tier's health checks, run as Docker runs them against Debian's servers (rung 4)", function () {
    this.timeout(180_000);
    let checks: RegisteredCheck[];
    let box: Sandbox;

    before(async () => {
        checks = await registeredChecks();
        box = makeSandbox();
    });
    after(() => removeSandbox(box));

    const checksOf = (service: string) => distinctChecks(checks, service);

    it("accounts for every long-running service: its check runs in these two files, or is listed with why it cannot", () => {
        const registered = [...new Set(checks.map((c) => c.service))].sort();
        const longRunning = SERVICE_SPECS.filter((s) => s.health !== "none: a job runs to completion")
            .map((s) => s.name)
            .sort();
        expect(registered).to.deep.equal(longRunning);
        const accounted = [...REAL_HERE, ...HTTP_SPECS.map((s) => s.name), ...Object.keys(NOT_RUN_HERE)].sort();
        expect(accounted).to.deep.equal(longRunning);
    });

    describe("PostgreSQL and PgBouncer (Debian's, real): pg_isready", () => {
        const password = `pw-${Date.now()}`;
        let dir: string;
        let pgPort: number;
        let bouncerPort: number;
        let bouncer: ChildProcess | undefined;
        let pg: "tcp" | "socket only" | "stopped" = "stopped";

        const pgCtl = (args: string[]) => {
            const [c, a] = asPostgres(postgresBin("pg_ctl"), ["-D", path.join(dir, "data"), ...args]);
            const r = spawnSync(c, a, { encoding: "utf8" });
            expect(r.status, r.stderr).to.equal(0);
        };
        /** Puts PostgreSQL in a state: listening on 127.0.0.1, on its socket only (first initialisation), or off. */
        const postgresTo = (want: typeof pg) => {
            if (want === pg) return;
            if (pg !== "stopped") pgCtl(["-m", "fast", "-w", "stop"]);
            pg = "stopped";
            if (want === "stopped") return;
            // The image's first initialisation runs a server with listen_addresses='', which only its own socket
            // reaches (docker-library/postgres@6edb0a8c 17/alpine3.23/docker-entrypoint.sh:285-292).
            const listen = want === "tcp" ? "127.0.0.1" : "''";
            const options = `-p ${pgPort} -k ${dir} -c listen_addresses=${listen}`;
            pgCtl(["-l", path.join(dir, "pg.log"), "-w", "-o", options, "start"]);
            pg = want;
        };
        const bouncerTo = async (running: boolean) => {
            if (!running) {
                await stopServer(bouncer);
                bouncer = undefined;
            } else if (!bouncer) {
                const [c, a] = asPostgres("/usr/sbin/pgbouncer", [path.join(dir, "pgbouncer.ini")]);
                bouncer = startServer(c, a);
                await waitForPort(bouncerPort);
            }
        };

        before(async () => {
            dir = serverDir(box, "postgres");
            [pgPort, bouncerPort] = [await freePort(), await freePort()];
            fs.writeFileSync(path.join(dir, "pw"), password);
            const [c, a] = asPostgres(postgresBin("initdb"), [
                "-D",
                path.join(dir, "data"),
                "-U",
                DATABASE_ROLES.superuser,
                "--auth=scram-sha-256",
                `--pwfile=${path.join(dir, "pw")}`,
            ]);
            execFileSync(c, a, { stdio: "pipe" });
            postgresTo("tcp");
            const psql = spawnSync(
                postgresBin("psql"),
                ["-X", "-h", "127.0.0.1", "-p", String(pgPort), "-U", DATABASE_ROLES.superuser, "-d", "postgres"],
                {
                    input:
                        `CREATE ROLE ${DATABASE_ROLES.app} LOGIN PASSWORD '${password}';\n` +
                        `CREATE DATABASE ${DATABASE.name} OWNER ${DATABASE_ROLES.app};\n`,
                    env: { ...process.env, PGPASSWORD: password },
                    encoding: "utf8",
                },
            );
            expect(psql.status, psql.stderr).to.equal(0);
            fs.writeFileSync(
                path.join(dir, "pgbouncer.ini"),
                renderPgbouncerIni({
                    postgresHost: "127.0.0.1",
                    postgresPort: pgPort,
                    listenAddr: "127.0.0.1",
                    listenPort: bouncerPort,
                    authFile: path.join(dir, "userlist.txt"),
                }) + `unix_socket_dir = ${dir}\n`,
            );
            fs.writeFileSync(path.join(dir, "userlist.txt"), renderUserlist([{ user: DATABASE_ROLES.app, password }]));
            await bouncerTo(true);
        });

        after(async () => {
            await bouncerTo(false);
            postgresTo("stopped");
        });

        // The socket directory too: a check that lost its `-h 127.0.0.1` would reach the server's socket in the image
        // (both use /var/run/postgresql), so here it must reach this server's, or that loss could not fail a test.
        const postgresCheck = () =>
            checksOf("postgres").map((c) => ({
                c,
                here: { port: pgPort, defaultPort: "PGPORT" as const, socketDir: dir },
            }));
        const bouncerCheck = () => checksOf("pgbouncer").map((c) => ({ c, here: { port: bouncerPort } }));

        it("postgres: exits 0 while the server accepts connections on 127.0.0.1", async () => {
            postgresTo("tcp");
            for (const { c, here } of postgresCheck()) {
                const r = await runCheck(c, here, box);
                expect(r.code, r.output).to.equal(0);
            }
        });

        it("postgres: sends no password, so none can fail it (libpq's ping counts a password request as an answer)", async () => {
            // postgres/postgres@0028b55b src/interfaces/libpq/fe-connect.c, internal_ping: "any sort of
            // authentication request implies the server is up". There is no wrong-password case for this check.
            postgresTo("tcp");
            for (const { c, here } of postgresCheck()) {
                const r = await runCheck(c, { ...here, extraEnv: { PGPASSWORD: "wrong" } }, box);
                expect(r.code, r.output).to.equal(0);
            }
        });

        it("postgres: exits non-zero while the server listens only on its socket, as during first initialisation", async () => {
            postgresTo("socket only");
            for (const { c, here } of postgresCheck()) {
                const r = await runCheck(c, here, box);
                expect(r.code, r.output).to.not.equal(0);
            }
        });

        it("postgres: exits non-zero when the server is down", async () => {
            postgresTo("stopped");
            for (const { c, here } of postgresCheck()) {
                const r = await runCheck(c, here, box);
                expect(r.code, r.output).to.not.equal(0);
            }
        });

        it("pgbouncer: exits 0 while PgBouncer accepts connections", async () => {
            postgresTo("tcp");
            await bouncerTo(true);
            for (const { c, here } of bouncerCheck()) {
                const r = await runCheck(c, here, box);
                expect(r.code, r.output).to.equal(0);
            }
        });

        it("pgbouncer: proves PgBouncer answers, not PostgreSQL behind it, and logs in as nobody: 0 with PostgreSQL down", async () => {
            // PgBouncer answers the startup packet itself; the database's own check gates the pool (dependsOn).
            postgresTo("stopped");
            await bouncerTo(true);
            for (const { c, here } of bouncerCheck()) {
                const r = await runCheck(c, here, box);
                expect(r.code, r.output).to.equal(0);
            }
        });

        it("pgbouncer: exits non-zero when PgBouncer is down", async () => {
            postgresTo("tcp");
            await bouncerTo(false);
            for (const { c, here } of bouncerCheck()) {
                const r = await runCheck(c, here, box);
                expect(r.code, r.output).to.not.equal(0);
            }
            await bouncerTo(true);
        });
    });

    describe("Redis (Debian's, real, started from the registered command line and redis.conf): redis-cli ping", () => {
        let password: string;
        const passwordFile = () => path.join(box.secrets, "redis_password");
        let port: number;
        let server: ChildProcess | undefined;
        const here = () => ({ port, defaultPort: "redis-cli on PATH" as const });
        const runAll = async (
            expectZero: boolean,
            mutate: (test: readonly string[]) => readonly string[] = (t) => t,
        ) => {
            for (const c of checksOf("redis")) {
                const r = await runCheck({ ...c, test: mutate(c.test) }, here(), box);
                if (expectZero) expect(r.code, r.output).to.equal(0);
                else expect(r.code, r.output).to.not.equal(0);
            }
        };

        // The container as registered on the first variant (the others differ only in maxmemory), started here with
        // Debian's redis-server 7.0.15 (the image has 7.4.2). What is substituted, and nothing else: each path the
        // container is given (an upload, a volume's mount point) is this test's copy of it, SECRETS_DIR as for the
        // checks; and, once the registered port is asserted to be the spec's, `--port <free port> --bind 127.0.0.1` is
        // appended, which redis-server applies after the config file, the last setting winning (redis 7.4.1
        // src/server.c:7049-7071, src/config.c:700; the same at 7.0.15), so the server listens on the loopback only.
        before(async () => {
            const dir = serverDir(box, "redis");
            port = await freePort();
            const [registered] = checksOf("redis");
            expect(redisListenPort(registered!), "the registered port").to.equal(SERVICES.redis.port);
            const here = (p: string) =>
                p.startsWith(`${SECRETS_DIR}/`)
                    ? path.join(box.secrets, p.slice(SECRETS_DIR.length))
                    : path.join(dir, p);
            // Whole paths only, in one pass: a path at the start of a word, ending at a word's end or at a `/`.
            const paths = [...Object.keys(registered!.files), ...registered!.mounts].sort(
                (a, b) => b.length - a.length,
            );
            const anyPath = new RegExp(`(?<=^|[\\s"'=])(${paths.map(escaped).join("|")})(?=$|[\\s/"'])`, "gm");
            const localised = (text: string) => text.replace(anyPath, (p) => here(p));
            for (const mount of registered!.mounts) fs.mkdirSync(here(mount), { recursive: true, mode: 0o777 });
            for (const [file, text] of Object.entries(registered!.files)) {
                fs.mkdirSync(path.dirname(here(file)), { recursive: true });
                fs.writeFileSync(here(file), localised(text), { mode: 0o444 });
            }
            password = registered!.files[`${SECRETS_DIR}/redis_password`]!;
            // The in-container default address of redis-cli (127.0.0.1:6379) is the test server's port here.
            fs.writeFileSync(path.join(box.bin, "redis-cli"), `#!/bin/sh\nexec /usr/bin/redis-cli -p ${port} "$@"\n`, {
                mode: 0o755,
            });
            const [program, ...args] = registered!.argv.map(localised);
            expect(program).to.equal("redis-server");
            server = startServer(program!, [...args, "--port", String(port), "--bind", "127.0.0.1"]);
            await waitForPort(port);
        });
        after(() => stopServer(server));
        beforeEach(() => {
            fs.rmSync(passwordFile(), { force: true });
            fs.writeFileSync(passwordFile(), password, { mode: 0o444 });
        });

        it("is registered to listen on its spec's port, as redis-server reads redis.conf and its command line", () => {
            for (const c of checks.filter((c) => c.service === "redis"))
                expect(redisListenPort(c), c.variant).to.equal(SERVICES.redis.port);
        });

        it("would refuse a port set elsewhere: `--port 6380` (the second attack pass) or `port` in an included file", () => {
            const [c] = checksOf("redis");
            expect(redisListenPort({ ...c!, argv: [...c!.argv, "--port", "6380"] })).to.equal(6380);
            const auth = `${SECRETS_DIR}/redis_auth.conf`;
            const files = { ...c!.files, [auth]: `${c!.files[auth]}PORT "6381"\n` };
            expect(redisListenPort({ ...c!, files })).to.equal(6381);
        });

        it("runs under the image's /bin/sh, BusyBox ash, as this test runs it", () => {
            const contract = contractFor(PUBLIC_IMAGES.redis);
            expect(contract?.binaries["/bin/sh"]).to.match(/busybox ash/);
            for (const c of checksOf("redis")) expect(c.test[0]).to.equal("CMD-SHELL");
        });

        it("exits 0 with the password from its secret file", () => runAll(true));

        it("exits non-zero with a wrong password (NOAUTH)", async () => {
            fs.rmSync(passwordFile());
            fs.writeFileSync(passwordFile(), `${password}-wrong`);
            await runAll(false);
        });

        it("exits non-zero when its secret file is missing", async () => {
            fs.rmSync(passwordFile());
            await runAll(false);
        });

        it("needs its `| grep -q PONG`: redis-cli alone exits 0 on NOAUTH (redis 7.4.1 src/redis-cli.c:10812-10813, 2320-2325)", async () => {
            // Non-interactive redis-cli connects quietly, prints an error reply and exits 0 unless given -e; a failed
            // AUTH only prints a warning (:1593-1596). The catalog spec pins the pipe for this reason.
            fs.rmSync(passwordFile());
            fs.writeFileSync(passwordFile(), `${password}-wrong`);
            const withoutPipe = (t: readonly string[]) => [t[0]!, t[1]!.replace(/\s*\|\s*grep -q PONG\s*$/, "")];
            for (const c of checksOf("redis")) expect(c.test[1]).to.match(/\| grep -q PONG$/);
            await runAll(true, withoutPipe);
        });

        it("exits non-zero when the server is down", async () => {
            await stopServer(server);
            server = undefined;
            await runAll(false);
        });
    });
});

/**
 * The port redis-server listens on, started with this container's command line: its config file's lines in order, an
 * `include`d file read where it stands, then the options after the file, which redis-server appends to it; directive
 * names in any case, the last `port` winning, 6379 with none (redis 7.4.1 src/server.c:7049-7071, src/config.c:466,
 * :518, :700, :3148; the same at 7.0.15, Debian's).
 */
function redisListenPort(c: RegisteredCheck): number {
    let port = 6379;
    const set = (value: string | undefined) => (port = Number((value ?? "").replace(/^"(.*)"$/, "$1")));
    const read = (file: string) => {
        expect(c.files, `${c.service} reads ${file}, which it is given`).to.have.property(file);
        for (const line of c.files[file]!.split("\n")) {
            const [name, value] = line.trim().split(/\s+/);
            if (name?.toLowerCase() === "port") set(value);
            if (name?.toLowerCase() === "include") read(value!);
        }
    };
    const [, first] = c.argv;
    if (first !== undefined && !first.startsWith("-")) read(first);
    c.argv.forEach((arg, i) => {
        if (arg.toLowerCase() === "--port") set(c.argv[i + 1]);
        else if (arg.toLowerCase().startsWith("--port ")) set(arg.slice(7));
    });
    return port;
}

/** `text` as a regular expression that matches it literally. */
function escaped(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
