{
  "targets": [
    {
      "target_name": "incusx_linux_net",
      "sources": ["native/addon.c", "native/udp4_device_socket.c", "native/netns.c", "native/netns_run.c", "native/link.c", "native/address.c", "native/rtnetlink.c", "native/route.c", "native/sysctl.c", "native/peer_credentials.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
