/**
 * sshd_config lines for test and bench sshd that log in as *this machine's* root.
 *
 * Debian's bash sources ~/.bashrc for every command sshd runs (it is built with SSH_SOURCE_BASHRC),
 * unless SHLVL says it is already a nested shell. This machine's /root/.bashrc runs `pyenv init`,
 * whose `pyenv rehash` takes one lock file: 64 "hosts" that are really one root then queue on that
 * lock, and a command took up to a minute (the 64-sshd fleet spec took 736 s in CI). A real fleet
 * has one ~/.bashrc per host, so the harness sets SHLVL=1 (bash raises it to 2 and skips ~/.bashrc)
 * to measure keel rather than the controller's shell start-up. Lab nodes have their own clean root
 * and do not need this.
 */
export const NO_LOGIN_RC = ['SetEnv SHLVL=1'];
