// The identity of a service process in job leases, stable across restarts.
//
// A lease owner is "<instance>:<incarnation>/<claim>": the instance survives restarts (kept in a
// small file next to the data), the incarnation is new at each start. The instance file is held
// under an exclusive flock(2) for the life of the process; the kernel releases the lock when
// the process ends however it ends (SIGKILL included), so a process that holds the lock knows
// that every earlier holder of that instance is dead, and that the leases of the instance's
// other incarnations belong to nobody alive: it may take them over at once
// (JobRunner::ReclaimPreviousIncarnations) instead of waiting for them to run out.
//
// A second live process finding the file locked takes the next slot ("<file>.2", ... up to
// kSlots), so two live processes never share an instance; with every slot taken (or no
// writable file) it gets an ephemeral identity, and its leases, if it crashes, simply run out.
// The file records the host name, the machine's boot id, its own absolute path and inode: a
// copy of the data folder (another host, a cloned machine, another folder or container) gets a
// new instance rather than sharing one, and so does this machine after a reboot. The file must
// be on a local file system (flock over NFS is not reliable).
// Not copyable; movable. The lock is released when the object is destroyed.
#pragma once

#include <string>
#include <string_view>

namespace pc::jobs {

// A LIKE pattern, with a backslash as its escape character, that matches the lease owners
// "<instance>:..." of every run of `instance` (LIKE wildcards in it match only themselves).
std::string OwnersOfInstancePattern(std::string_view instance);

class InstanceIdentity {
 public:
  static constexpr int kSlots = 8;

  // Takes the first free slot of `path` (creating the file 0600 and its folder as needed).
  // Never fails: when no slot can be held it returns an ephemeral identity (see durable()).
  static InstanceIdentity Acquire(const std::string& path);
  // An identity held by no file: nothing to reclaim after a crash.
  static InstanceIdentity Ephemeral();

  InstanceIdentity(InstanceIdentity&& other) noexcept;
  InstanceIdentity& operator=(InstanceIdentity&& other) noexcept;
  InstanceIdentity(const InstanceIdentity&) = delete;
  InstanceIdentity& operator=(const InstanceIdentity&) = delete;
  ~InstanceIdentity();

  const std::string& instance() const { return instance_; }        // stable across restarts
  const std::string& incarnation() const { return incarnation_; }  // this run of the process
  bool durable() const { return fd_ >= 0; }                        // held under the lock of a file
  const std::string& file() const { return file_; }                // "" when ephemeral

 private:
  InstanceIdentity() = default;
  std::string instance_;
  std::string incarnation_;
  std::string file_;
  int fd_ = -1;
};

}  // namespace pc::jobs
