/** The checks of stack config values, by kind (see ./check.ts). */
export * from "./addresses";
export * from "./check";
export * from "./cron";
export * from "./images";
export * from "./names";
