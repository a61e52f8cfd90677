/** OVSDB (RFC 7047) client. Work in progress: see issue 7. */
export {};
