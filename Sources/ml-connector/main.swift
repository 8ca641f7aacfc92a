print("ml-connector")
