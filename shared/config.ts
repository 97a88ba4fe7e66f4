/**
 * Every app setting the Function app reads, by name, in one place. Bicep must set each of these
 * (a test reads this file and the Bicep to prove it); locally they come from local.settings.json `Values`.
 *
 * Connections follow the Functions convention: `X` holds a connection string, or with managed identity
 * the same name is a prefix (`X__fullyQualifiedNamespace`, `X__serviceUri`, `X__credential`, `X__clientId`).
 */
export const settingNames = {
  /** Service Bus connection used by the triggers and the publisher (connection string or `__fullyQualifiedNamespace`). */
  serviceBusConnection: 'ServiceBusConnection',
  /** Storage for the app's tables and blobs (connection string or `__tableServiceUri` / `__blobServiceUri`). */
  storageConnection: 'TriageStorage',
} as const;

export type SettingName = (typeof settingNames)[keyof typeof settingNames];
