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
    /** The session ended and the mount is gone, unmounted by unmount() or from outside (patch 6). */
    ended?: () => void;
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
    /**
     * Takes back what the kernel holds of a path: its name ('entry': looked up again, and everything below it),
     * its attributes ('attrs'), or its attributes and cached content ('data': a directory's listing); resolves
     * once the kernel was told (patch 5). A getattr answer's `attrValidMs` sets how long the kernel keeps that
     * answer (instead of attr_timeout). Without an `opendir` op, directories are opened in C, `readdir` gets
     * the path, and the kernel keeps listings until 'data' takes them back.
     */
    invalidate(path: string, what: 'attrs' | 'entry' | 'data'): Promise<void>;
    static unmount(mnt: string, cb: (err: Error | null) => void): void;
    static [errno: string]: any;
  }
  export = Fuse;
}
