/** A path into a resolved configuration, as zod gives it: `['services', 'api', 'host']`. */
export type ConfigPath = (string | number)[];

/** Records one problem: its path in the resolved configuration and a message that ends with the fix. */
export type Report = (path: ConfigPath, message: string) => void;
