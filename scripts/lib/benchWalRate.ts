/**
 * How much write-ahead log a sensor reading costs, for `npm run bench` and the worked example of the room it takes in
 * docs/operations.md, "Restore to a point in time": readings inserted one per transaction, as the application takes
 * them, into a table shaped like sensor readings (a bigserial key, a sensor, a time, a value, an index on sensor and
 * time), already holding a day of readings, with a checkpoint every WAL_RATE.checkpointEvery readings: what the
 * default five-minute checkpoints give at 500 sensors reporting once a minute. After each checkpoint PostgreSQL writes
 * each page it touches whole into the log once (full_page_writes), which is most of the cost. Measured with
 * pg_current_wal_lsn on the lab's live server.
 */
import type { PitrLab } from "./pitrLab";

export const WAL_RATE = {
    sensors: 500,
    /** A day of readings already there, so the index is as spread as in a running system. */
    preloadReadings: 500 * 60 * 24,
    /** Readings between checkpoints: 500 sensors once a minute for five minutes. */
    checkpointEvery: 2_500,
    checkpoints: 8,
} as const;

export interface WalRateFigures {
    readonly walBytesPerReading: number;
    readonly tableBytesPerReading: number;
    readonly readings: number;
}

export function measureWalRate(lab: Pick<PitrLab, "psql">): WalRateFigures {
    const db = "freshtrack";
    const r = WAL_RATE;
    lab.psql(
        db,
        "CREATE TABLE bench_readings (id bigserial PRIMARY KEY, sensor_id int NOT NULL, recorded_at timestamptz NOT NULL, " +
            "celsius numeric(5,2), battery smallint); CREATE INDEX ON bench_readings (sensor_id, recorded_at);" +
            `INSERT INTO bench_readings (sensor_id, recorded_at, celsius, battery) SELECT (random() * ${r.sensors - 1})::int, ` +
            `now() - interval '1 day' * random(), 4.5, 90 FROM generate_series(1, ${r.preloadReadings}); CHECKPOINT;`,
    );
    const before = lab.psql(db, "SELECT pg_current_wal_lsn() || ' ' || pg_total_relation_size('bench_readings')");
    const [lsn, size] = before.split(" ");
    const one = `INSERT INTO bench_readings (sensor_id, recorded_at, celsius, battery) VALUES ((random() * ${r.sensors - 1})::int, now(), 4.5, 90);\n`;
    for (let i = 0; i < r.checkpoints; i++) lab.psql(db, `${one.repeat(r.checkpointEvery)}CHECKPOINT;`);
    const readings = r.checkpoints * r.checkpointEvery;
    const [wal, grown] = lab
        .psql(
            db,
            `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${lsn}')::bigint || ' ' || ` +
                `(pg_total_relation_size('bench_readings') - ${size})`,
        )
        .split(" ")
        .map(Number);
    lab.psql(db, "DROP TABLE bench_readings");
    return {
        walBytesPerReading: Math.round(wal! / readings),
        tableBytesPerReading: Math.round(grown! / readings),
        readings,
    };
}
