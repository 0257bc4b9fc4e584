export const message: string = "v1";
