/** A known plaintext encrypted under one DATA_ENCRYPTION_KEY, kept to recognise that key later. */
export interface DataKeyCanary {
  readonly keyId: string;
  readonly ciphertext: string;
  readonly createdAt: Date;
}

/** Where canaries live: beside the data they protect (MongoDB), one per key id. */
export interface CanaryStore {
  list(): Promise<DataKeyCanary[]>;
  /** False when a canary for that key id exists already (another instance wrote it first). */
  insert(canary: DataKeyCanary): Promise<boolean>;
  delete(keyId: string): Promise<void>;
}
