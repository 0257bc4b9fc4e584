export type Bindings = { TOKEN: string };

export interface Item {
  id: number;
  name: string;
}
