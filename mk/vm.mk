# VM rig: boots Debian's kernel in qemu and runs the real-driver tests (CAN, I2C, GPIO, netem).
# One command in the guest: node --import tsx test/rig/vm/run.ts [-m mod,mod] 'command'
.PHONY: test-vm
test-vm: $(NPM_STAMP)
	npx vitest run test/vm
