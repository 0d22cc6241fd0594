/**
 * What the point-in-time recovery lab (pitrLab.ts) and the servers tests share besides the lab itself: how the
 * containers' root is reduced, the lab's SQL, and what the machine must have (read from files, nothing run).
 */
import * as fs from "fs";
import * as path from "path";

/** The user Debian's postgresql runs its servers as, and the lab's throwaway servers and the scripts' gosu too. */
export const SERVER_USER = "postgres";
const POSTGRES_ROOT = "/usr/lib/postgresql";

/** What the backup container keeps of root's capabilities (components/catalog/app/backup.ts). */
export const CONTAINER_CAPS = ["setpriv", "--bounding-set", "-all,+setuid,+setgid", "--", "sh", "-c"];

/** The lab's SQL: the schema, a bulk of readings dated the day before, and what the tests and the bench read. */
export const SQL = {
    readings:
        "CREATE TABLE readings (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), celsius numeric);",
    preload: (rows: number) =>
        `INSERT INTO readings (at, celsius) SELECT now() - interval '1 day' + g * interval '1 ms', (g % 120) / 10.0 - 4 FROM generate_series(1, ${rows}) g;`,
    rowsAfter: (id: number) =>
        `SELECT id || ' ' || (extract(epoch FROM at) * 1000)::bigint FROM readings WHERE id > ${id} ORDER BY id`,
    summary:
        "SELECT count(*) || ' ' || coalesce((extract(epoch FROM max(at)) * 1000)::bigint, 0) || ' ' || coalesce(max(id), 0) FROM readings",
    slotActive:
        "SELECT coalesce((SELECT active::text FROM pg_replication_slots WHERE slot_name = 'freshtrack_wal'), '')",
    makeSlot: "SELECT pg_create_physical_replication_slot('freshtrack_wal', true);",
};

/** The PostgreSQL programs the lab and the rendered scripts run, separated by spaces. */
const POSTGRES_PROGRAMS = "initdb pg_ctl postgres psql pg_dump pg_restore pg_receivewal pg_basebackup pg_waldump";
/** Programs from outside PostgreSQL: the scripts' gosu, the container's setpriv, runuser for the lab's own server. */
const SYSTEM_PROGRAMS = ["gosu", "setpriv", "runuser"];
const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/bin"];

/** The bin directory of Debian's newest installed PostgreSQL, if there is one. */
export function postgresBinDir(): string | undefined {
    const versions = fs.existsSync(POSTGRES_ROOT) ? fs.readdirSync(POSTGRES_ROOT).sort() : [];
    const newest = versions.pop();
    return newest === undefined ? undefined : path.join(POSTGRES_ROOT, newest, "bin");
}

/**
 * The PATH of everything the lab starts. Node looks a program up on the PATH of the env it is given (@types/node
 * 20.19.43 child_process.d.ts:30-35), so `psql` here is the version's own, not postgresql-common's wrapper in /usr/bin.
 */
export function labPath(): string {
    const bin = postgresBinDir();
    return [...(bin ? [bin] : []), ...SYSTEM_DIRS].join(":");
}
export const labEnv = (password?: string) => ({
    ...process.env,
    PATH: labPath(),
    ...(password ? { PGPASSWORD: password } : {}),
});

/** What this machine lacks to run the lab, in a few words each; undefined when it has everything. */
export function labUnavailable(): string | undefined {
    const missing: string[] = [];
    if (process.getuid?.() !== 0) missing.push("root (the scripts run as the backup container's root)");
    const bin = postgresBinDir();
    const absent = bin ? POSTGRES_PROGRAMS.split(" ").filter((p) => !fs.existsSync(path.join(bin, p))) : [];
    if (!bin) missing.push(`Debian's postgresql (nothing under ${POSTGRES_ROOT})`);
    else if (absent.length > 0) missing.push(`${absent.join(", ")} in ${bin}`);
    if (bin && userIds(SERVER_USER) === undefined) missing.push(`the ${SERVER_USER} user Debian's postgresql makes`);
    for (const program of SYSTEM_PROGRAMS)
        if (!SYSTEM_DIRS.some((d) => fs.existsSync(path.join(d, program)))) missing.push(program);
    return missing.length > 0 ? missing.join(", ") : undefined;
}

/** A user's uid and gid from /etc/passwd (Debian's postgresql adds its user there). */
export function userIds(name: string): { uid: number; gid: number } | undefined {
    const line = fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(":") ?? [];
    return uid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
}
