package buffer

// syncDir is a no-op on Windows, where a directory cannot be fsynced; NTFS
// journals the rename.
func syncDir(string) {}
