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
  class Fuse {
    constructor(mnt: string, ops: Record<string, (...args: any[]) => void>, opts?: FuseOptions);
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mnt: string, cb: (err: Error | null) => void): void;
    static [errno: string]: any;
  }
  export = Fuse;
}
