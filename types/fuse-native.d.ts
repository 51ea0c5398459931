// The part of fuse-native 2.2.6 that audiofs uses (it ships no types).
declare module 'fuse-native' {
  type Cb = (code: number, ...rest: unknown[]) => void;
  interface FuseOptions {
    force?: boolean;
    mkdir?: boolean;
    autoUnmount?: boolean;
    allowOther?: boolean;
    debug?: boolean;
    fsname?: string;
    timeout?: number | false | Record<string, number | false>;
  }
  /** Who asked for the operation whose handler runs now (vendor/fuse-native/PATCHED.md, patch 4). */
  interface FuseContext {
    uid: number;
    gid: number;
    pid: number;
    /** This request's id, as `ops.interrupt(request)` names it. */
    request: number;
  }
  class Fuse {
    constructor(mnt: string, ops: Record<string, (...args: any[]) => void>, opts?: FuseOptions);
    /** Set only while an operation's handler runs (synchronously); null otherwise. */
    readonly context: FuseContext | null;
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mnt: string, cb: (err: Error | null) => void): void;
    static [errno: string]: any;
  }
  export = Fuse;
}
