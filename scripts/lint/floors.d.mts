export declare const FLOORS: string[][];
export declare function roomOf(absPath: string, srcDir: string): string | null;
export declare function floorViolation(from: string, to: string): string | null;
