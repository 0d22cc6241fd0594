/**
 * Where minio-init's `mc` finds its config and the users' secret files, shared by test/minioUsers.test.ts and
 * test/minioUsers.stack.test.ts.
 */
export const MC_DIR = "/run/secrets/mc";
